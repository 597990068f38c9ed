// vllm-compat is the entry point of the vLLM stand-in image: it takes vLLM's command line, as the
// operator writes it for a ModelServer, and runs llm-d-inference-sim behind a small front that
// answers, where the simulator does not, as vLLM does.
//
// The command line: the flags the simulator does not know (they steer real GPUs, downloads and
// tracing) are dropped. The simulator refuses any flag it does not know ("unknown flag"), so a flag
// the operator adds must be checked against `llm-d-inference-sim --help` and, if refused, listed
// here. Its --port is replaced by an internal port (the simulator has no --host flag, so it listens
// there on every interface of the pod; nothing is told about that port).
//
// The front serves the pod's port (vLLM's --port, 8000 by default) once the simulator listens, so
// the kubelet's probes see the simulator's own answers, and passes every request through unchanged
// (streams as they come) except two, where the simulator differs from vLLM in ways the operator and
// the gateway act on:
//
//   - POST /v1/load_lora_adapter: the simulator accepts every load (it only records the name).
//     vLLM loads lora_path from a directory or else as a Hugging Face repository id, and answers
//     404 NotFoundError "Loading lora <name> failed: No adapter found for <path>" when it finds
//     neither (vllm/entrypoints/openai/serving_models.py). The front answers that for a path that is
//     not a directory in the container nor shaped like a repository id (owner/name): a URL, a
//     missing directory. A repository id is passed on, the simulator standing in for the hub.
//   - With --enable-sleep-mode: the simulator keeps the flag that /sleep, /wake_up and /is_sleeping
//     read and write but goes on answering inference while "asleep". vLLM, its weights off the GPU,
//     cannot serve then: the request fails (how depends on the version; vllm-project/vllm#15483
//     reports an engine crash, and the 503 proposed there is what the gateway and the operator
//     expect). The front answers /v1/chat/completions, /v1/completions and /v1/embeddings with that
//     503 while the simulator's /is_sleeping says true (asked only for those three, only in sleep
//     mode). If the simulator does not say (an error, no dev mode), the request goes on.
//
// SIGTERM and SIGINT go to the simulator; vllm-compat exits with its status.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
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

// withInternalPort takes the --port (vLLM's default 8000 when absent) out of args and gives the
// simulator `internal` instead.
func withInternalPort(args []string, internal int) (port string, out []string) {
	port = "8000"
	for i := 0; i < len(args); i++ {
		name, value, inline := strings.Cut(args[i], "=")
		if name != "--port" {
			out = append(out, args[i])
			continue
		}
		if !inline && i+1 < len(args) {
			i++
			value = args[i]
		}
		port = value
	}
	return port, append(out, "--port", strconv.Itoa(internal))
}

// sleepMode says whether the command line switches sleep mode on (the last of --enable-sleep-mode,
// --enable-sleep-mode=<bool> and --no-enable-sleep-mode wins, as with the simulator's flags).
func sleepMode(args []string) bool {
	on := false
	for _, arg := range args {
		name, value, inline := strings.Cut(arg, "=")
		switch name {
		case "--enable-sleep-mode":
			on = true
			if inline {
				on, _ = strconv.ParseBool(value)
			}
		case "--no-enable-sleep-mode":
			on = false
		}
	}
	return on
}

var hfRepoID = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*$`)

// loraRefusal is vLLM's message for a lora_path it cannot load, or "" when it would load it.
func loraRefusal(name, path string, isDir func(string) bool) string {
	if isDir(path) || (!strings.HasPrefix(path, "/") && hfRepoID.MatchString(path)) {
		return ""
	}
	return fmt.Sprintf("Loading lora %s failed: No adapter found for %s", name, path)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// vLLM's paths that need the weights on the GPU.
var needsWeights = map[string]bool{
	"/v1/chat/completions": true,
	"/v1/completions":      true,
	"/v1/embeddings":       true,
}

type frontOptions struct {
	sleepMode bool
	isDir     func(string) bool
}

func writeError(w http.ResponseWriter, status int, kind, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": message, "type": kind, "param": nil, "code": status},
	})
}

// asleep asks the simulator's /is_sleeping; false when it does not say.
func asleep(ctx context.Context, client *http.Client, upstream *url.URL) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, upstream.JoinPath("/is_sleeping").String(), nil)
	if err != nil {
		return false
	}
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	defer func() { _ = res.Body.Close() }()
	var body struct {
		IsSleeping bool `json:"is_sleeping"`
	}
	return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&body) == nil && body.IsSleeping
}

// front serves the pod's port: the simulator at upstream, with vLLM's answers described above.
func front(upstream *url.URL, opts frontOptions) http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
			r.Out.Host = r.In.Host
		},
		FlushInterval: -1, // streamed completions pass through as they come
	}
	client := &http.Client{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.sleepMode && needsWeights[r.URL.Path] && asleep(r.Context(), client, upstream) {
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailableError",
				"The engine is sleeping (sleep mode): POST /wake_up to serve again.")
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/v1/load_lora_adapter" {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				writeError(w, http.StatusBadRequest, "BadRequestError", "could not read the request: "+err.Error())
				return
			}
			var load struct {
				Name string `json:"lora_name"`
				Path string `json:"lora_path"`
			}
			if json.Unmarshal(body, &load) == nil && load.Name != "" {
				if msg := loraRefusal(load.Name, load.Path, opts.isDir); msg != "" {
					writeError(w, http.StatusNotFound, "NotFoundError", msg)
					return
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		proxy.ServeHTTP(w, r)
	})
}

// freePort is a loopback port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts the simulator (sim) with args on an internal port, serves the pod's port once it
// listens, forwards the signals received on sigs to it and returns its exit status.
func run(sim string, args []string, sigs <-chan os.Signal) int {
	internal, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vllm-compat: no internal port:", err)
		return 127
	}
	args = simulatorArgs(args)
	port, args := withInternalPort(args, internal)
	cmd := exec.Command(sim, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "vllm-compat:", err)
		return 127
	}
	exited := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-exited:
				return
			}
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); close(exited) }()

	upstream := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(internal))}
	go func() {
		for {
			select {
			case <-exited:
				return
			default:
			}
			if c, err := net.DialTimeout("tcp", upstream.Host, time.Second); err == nil {
				_ = c.Close()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		server := &http.Server{
			Addr:              ":" + port,
			Handler:           front(upstream, frontOptions{sleepMode: sleepMode(args), isDir: isDir}),
			ReadHeaderTimeout: 30 * time.Second,
		}
		if err := server.ListenAndServe(); err != nil {
			fmt.Fprintln(os.Stderr, "vllm-compat: serving port "+port+":", err)
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
	}()

	err = <-waited
	if err == nil {
		return 0
	}
	if exit, ok := err.(*exec.ExitError); ok {
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return 128 + int(status.Signal())
		}
		return exit.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "vllm-compat:", err)
	return 1
}

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(simulator, os.Args[1:], sigs))
}
