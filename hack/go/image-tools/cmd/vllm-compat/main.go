// vllm-compat is the entry point of the vLLM stand-in image: it takes vLLM's command line, as the
// operator writes it for a ModelServer, drops the flags llm-d-inference-sim does not know (they
// steer real GPUs and downloads), and execs the simulator with the rest.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

const simulator = "/usr/local/bin/llm-d-inference-sim"

// vLLM flags with a value that the simulator has no use for and refuses.
var dropped = map[string]bool{
	"--host":                   true,
	"--tensor-parallel-size":   true,
	"--gpu-memory-utilization": true,
	"--revision":               true,
	"--download-dir":           true,
}

func simulatorArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name, _, inline := strings.Cut(args[i], "=")
		if !dropped[name] {
			out = append(out, args[i])
			continue
		}
		if !inline && i+1 < len(args) {
			i++ // the flag's value
		}
	}
	return out
}

func main() {
	args := append([]string{simulator}, simulatorArgs(os.Args[1:])...)
	if err := syscall.Exec(simulator, args, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "vllm-compat:", err)
		os.Exit(127)
	}
}
