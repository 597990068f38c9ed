module perpetual.invalid/hack/image-tools

go 1.26.0
