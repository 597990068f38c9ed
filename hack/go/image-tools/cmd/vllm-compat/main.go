// vllm-compat is the entry point of the vLLM stand-in image: it takes vLLM's command line, as the
// operator writes it for a ModelServer, drops the flags llm-d-inference-sim does not know (they
// steer real GPUs, downloads and tracing), and execs the simulator with the rest. The simulator
// refuses any flag it does not know ("unknown flag"), so a flag the operator adds must be checked
// against `llm-d-inference-sim --help` and, if refused, listed here.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

const simulator = "/usr/local/bin/llm-d-inference-sim"

// vLLM flags with a value that the simulator has no use for and refuses.
var droppedWithValue = map[string]bool{
	"--host":                   true,
	"--tensor-parallel-size":   true,
	"--gpu-memory-utilization": true,
	"--revision":               true,
	"--download-dir":           true,
	"--otlp-traces-endpoint":   true,
}

// vLLM switches (no value) that the simulator refuses. --enable-lora only switches LoRA on in
// vLLM; the simulator serves the --lora-modules it is given (and --max-loras, --max-cpu-loras)
// without it. Its value-less form must not swallow the next argument.
var droppedSwitches = map[string]bool{
	"--enable-lora": true,
}

func simulatorArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name, _, inline := strings.Cut(args[i], "=")
		switch {
		case droppedSwitches[name]:
		case droppedWithValue[name]:
			if !inline && i+1 < len(args) {
				i++ // the flag's value
			}
		default:
			out = append(out, args[i])
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
