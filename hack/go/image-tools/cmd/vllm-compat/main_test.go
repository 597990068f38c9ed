package main

import (
	"slices"
	"testing"
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
