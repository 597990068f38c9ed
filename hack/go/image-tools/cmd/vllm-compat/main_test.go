package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSimulatorArgs(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{
			name: "the operator's base command line keeps only what the simulator knows",
			in: []string{"--model", "Qwen/Qwen3-0.6B", "--served-model-name", "qwen", "--host", "0.0.0.0", "--port", "8000",
				"--tensor-parallel-size", "1", "--gpu-memory-utilization", "0.9", "--revision", "abc123",
				"--max-model-len", "4096", "--download-dir", "/models"},
			want: []string{"--model", "Qwen/Qwen3-0.6B", "--served-model-name", "qwen", "--port", "8000", "--max-model-len", "4096"},
		},
		{
			name: "a model read from a mounted source keeps its path",
			in:   []string{"--model", "/source/llama", "--host", "0.0.0.0"},
			want: []string{"--model", "/source/llama"},
		},
		{
			name: "tracing is dropped with its endpoint",
			in:   []string{"--port", "8000", "--otlp-traces-endpoint", "http://collector:4318/v1/traces", "--max-model-len", "64"},
			want: []string{"--port", "8000", "--max-model-len", "64"},
		},
		{
			name: "--enable-lora is dropped without swallowing the next flag; the LoRA flags the simulator knows stay",
			in: []string{"--port", "8000", "--enable-lora", "--max-loras", "4", "--lora-modules",
				`{"name":"a","path":"/adapters/a"}`, `{"name":"b","path":"/adapters/b"}`},
			want: []string{"--port", "8000", "--max-loras", "4", "--lora-modules",
				`{"name":"a","path":"/adapters/a"}`, `{"name":"b","path":"/adapters/b"}`},
		},
		{
			name: "--enable-lora last",
			in:   []string{"--port", "8000", "--enable-lora"},
			want: []string{"--port", "8000"},
		},
		{
			name: "inline values are dropped with their flag; --max-cpu-loras stays",
			in:   []string{"--host=0.0.0.0", "--enable-lora=true", "--otlp-traces-endpoint=http://c/v1/traces", "--max-cpu-loras=8"},
			want: []string{"--max-cpu-loras=8"},
		},
		{
			name: "a dropped flag with a value, last and without it",
			in:   []string{"--port", "8000", "--revision"},
			want: []string{"--port", "8000"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := simulatorArgs(c.in); !slices.Equal(got, c.want) {
				t.Errorf("simulatorArgs(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestWithInternalPort(t *testing.T) {
	cases := []struct {
		in       []string
		port     string
		wantArgs []string
	}{
		{[]string{"--model", "m", "--port", "8123", "--max-model-len", "64"}, "8123", []string{"--model", "m", "--max-model-len", "64", "--port", "9999"}},
		{[]string{"--port=8124", "--model", "m"}, "8124", []string{"--model", "m", "--port", "9999"}},
		{[]string{"--model", "m"}, "8000", []string{"--model", "m", "--port", "9999"}},
	}
	for _, c := range cases {
		port, args := withInternalPort(c.in, 9999)
		if port != c.port || !slices.Equal(args, c.wantArgs) {
			t.Errorf("withInternalPort(%q) = %q, %q; want %q, %q", c.in, port, args, c.port, c.wantArgs)
		}
	}
}

func TestSleepMode(t *testing.T) {
	cases := map[string]bool{
		"":                          false,
		"--enable-sleep-mode":       true,
		"--enable-sleep-mode=true":  true,
		"--enable-sleep-mode=false": false,
		"--enable-sleep-mode --no-enable-sleep-mode": false,
		"--no-enable-sleep-mode --enable-sleep-mode": true,
	}
	for line, want := range cases {
		if got := sleepMode(append([]string{"--model", "m"}, strings.Fields(line)...)); got != want {
			t.Errorf("sleepMode(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestLoraRefusal(t *testing.T) {
	dir := func(p string) bool { return p == "/adapters/claim/sql" }
	cases := []struct{ path, want string }{
		{"perpetual-e2e/sql-lora", ""},
		{"/adapters/claim/sql", ""},
		{"/adapters/claim/missing", "Loading lora x failed: No adapter found for /adapters/claim/missing"},
		{"https://adapters.invalid/x", "Loading lora x failed: No adapter found for https://adapters.invalid/x"},
		{"/owner/name", "Loading lora x failed: No adapter found for /owner/name"},
		{"", "Loading lora x failed: No adapter found for "},
	}
	for _, c := range cases {
		if got := loraRefusal("x", c.path, dir); got != c.want {
			t.Errorf("%q: got %q want %q", c.path, got, c.want)
		}
	}
}

// fakeSimulator records what reaches it and answers /is_sleeping with *sleeping.
type fakeSimulator struct {
	mu       sync.Mutex
	calls    []string
	bodies   []string
	sleeping bool
}

func (f *fakeSimulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.RequestURI())
	f.bodies = append(f.bodies, string(body))
	sleeping := f.sleeping
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/is_sleeping" {
		_, _ = fmt.Fprintf(w, `{"is_sleeping":%v}`, sleeping)
		return
	}
	w.Header().Set("X-Upstream", "sim")
	w.WriteHeader(http.StatusAccepted)
	_, _ = fmt.Fprintf(w, `{"path":%q,"host":%q}`, r.URL.Path, r.Host)
}

func (f *fakeSimulator) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func startFront(t *testing.T, sim http.Handler, opts frontOptions) string {
	t.Helper()
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	u, _ := url.Parse(upstream.URL)
	if opts.isDir == nil {
		opts.isDir = func(p string) bool { return p == "/adapters/claim/sql" }
	}
	f := httptest.NewServer(front(u, opts))
	t.Cleanup(f.Close)
	return f.URL
}

func post(t *testing.T, url, body string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

func TestFrontRefusesAnAdapterVLLMCannotFind(t *testing.T) {
	sim := &fakeSimulator{}
	base := startFront(t, sim, frontOptions{})
	status, body, _ := post(t, base+"/v1/load_lora_adapter", `{"lora_name":"bad","lora_path":"https://adapters.invalid/bad"}`)
	if status != http.StatusNotFound {
		t.Fatalf("status %d, body %s", status, body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"error": map[string]any{
		"message": "Loading lora bad failed: No adapter found for https://adapters.invalid/bad",
		"type":    "NotFoundError", "param": nil, "code": float64(404),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body %v, want %v", got, want)
	}
	if calls := sim.seen(); len(calls) != 0 {
		t.Errorf("the simulator was asked %q", calls)
	}
}

func TestFrontPassesLoadsVLLMWouldMake(t *testing.T) {
	sim := &fakeSimulator{}
	base := startFront(t, sim, frontOptions{})
	for _, load := range []string{
		`{"lora_name":"sql","lora_path":"perpetual-e2e/sql-lora"}`,
		`{"lora_name":"sql","lora_path":"/adapters/claim/sql"}`,
	} {
		if status, body, _ := post(t, base+"/v1/load_lora_adapter", load); status != http.StatusAccepted {
			t.Errorf("%s: status %d, body %s", load, status, body)
		}
	}
	if !slices.Equal(sim.bodies, []string{
		`{"lora_name":"sql","lora_path":"perpetual-e2e/sql-lora"}`,
		`{"lora_name":"sql","lora_path":"/adapters/claim/sql"}`,
	}) {
		t.Errorf("the simulator got %q", sim.bodies)
	}
}

func TestFrontAnswers503ForInferenceWhileAsleep(t *testing.T) {
	sim := &fakeSimulator{sleeping: true}
	base := startFront(t, sim, frontOptions{sleepMode: true})
	for _, path := range []string{"/v1/chat/completions", "/v1/completions", "/v1/embeddings"} {
		status, body, _ := post(t, base+path, `{"model":"m"}`)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, `"type":"ServiceUnavailableError"`) {
			t.Errorf("%s: status %d, body %s", path, status, body)
		}
	}
	if calls := sim.seen(); !slices.Equal(calls, []string{"GET /is_sleeping", "GET /is_sleeping", "GET /is_sleeping"}) {
		t.Errorf("the simulator was asked %q", calls)
	}
	// Everything else passes while asleep, without a question: the sleep API, models, metrics.
	for _, path := range []string{"/wake_up", "/v1/models?x=1", "/metrics"} {
		if status, body, _ := post(t, base+path, ``); status != http.StatusAccepted {
			t.Errorf("%s: status %d, body %s", path, status, body)
		}
	}
	if calls := sim.seen()[3:]; !slices.Equal(calls, []string{"POST /wake_up", "POST /v1/models?x=1", "POST /metrics"}) {
		t.Errorf("the simulator was asked %q", calls)
	}
	// Awake: the chat goes through.
	sim.mu.Lock()
	sim.sleeping = false
	sim.mu.Unlock()
	if status, body, _ := post(t, base+"/v1/chat/completions", `{"model":"m"}`); status != http.StatusAccepted {
		t.Errorf("awake: status %d, body %s", status, body)
	}
}

func TestFrontWithoutSleepModeNeverAsks(t *testing.T) {
	sim := &fakeSimulator{sleeping: true}
	base := startFront(t, sim, frontOptions{})
	status, body, header := post(t, base+"/v1/chat/completions", `{"model":"m"}`)
	if status != http.StatusAccepted || header.Get("X-Upstream") != "sim" {
		t.Errorf("status %d, body %s", status, body)
	}
	if calls := sim.seen(); !slices.Equal(calls, []string{"POST /v1/chat/completions"}) {
		t.Errorf("the simulator was asked %q", calls)
	}
	if !slices.Equal(sim.bodies, []string{`{"model":"m"}`}) {
		t.Errorf("the simulator got %q", sim.bodies)
	}
	// The Host the client used reaches the simulator.
	if want := strings.TrimPrefix(base, "http://"); !strings.Contains(body, `"host":"`+want+`"`) {
		t.Errorf("body %s, want host %s", body, want)
	}
}

func TestFrontStreamsAsTheSimulatorWrites(t *testing.T) {
	release := make(chan struct{})
	sim := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	})
	base := startFront(t, sim, frontOptions{sleepMode: false})
	defer close(release)
	res, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(`{"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	line := make([]byte, len("data: first\n\n"))
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(res.Body, line); done <- err }()
	select {
	case err := <-done:
		if err != nil || string(line) != "data: first\n\n" {
			t.Errorf("read %q, %v", line, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first event did not come before the simulator finished")
	}
}

// The test binary plays the simulator when run with FAKE_SIMULATOR=1: it listens on its --port
// only after a while, answers with its arguments, and exits 3 on SIGTERM.
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_SIMULATOR") == "1" {
		fakeSimulatorMain()
		return
	}
	os.Exit(m.Run())
}

func fakeSimulatorMain() {
	args := os.Args[1:]
	port := args[slices.Index(args, "--port")+1]
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	go func() {
		_ = http.ListenAndServe("127.0.0.1:"+port, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(args)
		}))
	}()
	<-sigs
	os.Exit(3)
}

func TestRunServesThePortOnceTheSimulatorListensAndExitsWithIt(t *testing.T) {
	t.Setenv("FAKE_SIMULATOR", "1")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	status := make(chan int, 1)
	go func() {
		status <- run(os.Args[0], []string{"--model", "m", "--host", "0.0.0.0", "--port", strconv.Itoa(port), "--enable-lora"}, sigs)
	}()
	// The first answer on the pod's port is the simulator's: nothing is served before it listens.
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/v1/models")
		if err == nil {
			if res.StatusCode != http.StatusOK {
				t.Fatalf("first answer %d", res.StatusCode)
			}
			err = json.NewDecoder(res.Body).Decode(&got)
			_ = res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the port never answered:", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) != 4 || !slices.Equal(got[:2], []string{"--model", "m"}) || got[2] != "--port" || got[3] == strconv.Itoa(port) {
		t.Errorf("the simulator got %q", got)
	}
	sigs <- syscall.SIGTERM
	select {
	case code := <-status:
		if code != 3 {
			t.Errorf("exit status %d, want the simulator's 3", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}
