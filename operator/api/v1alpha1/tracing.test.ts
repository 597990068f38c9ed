import { describe, expect, it } from 'vitest';
import { tracesUrl, tracesUrlUnder } from './tracing.ts';

describe('tracesUrl', () => {
  it('is off without an endpoint, and follows the OpenTelemetry variables otherwise', () => {
    expect(tracesUrl({})).toBeUndefined();
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b/t' })).toBe(
      'http://b/t',
    );
    expect(tracesUrl({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe('http://localhost:4318/v1/traces');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });
});

describe('tracesUrlUnder', () => {
  it('appends /v1/traces once, whether or not the endpoint ends in a slash', () => {
    expect(tracesUrlUnder('http://otel-collector.monitoring:4318')).toBe('http://otel-collector.monitoring:4318/v1/traces');
    expect(tracesUrlUnder('http://otel-collector.monitoring:4318//')).toBe('http://otel-collector.monitoring:4318/v1/traces');
  });
});
