// GET /v1/usage: the caller's own usage, newest first, with totals per model for the period and
// the spend report (totals per model per UTC day and per calendar month). The admin API serves the
// same report for any user (GET /admin/users/{id}/usage).
import type { Request, Response } from 'express';
import { badRequest } from '../errors.ts';
import { principalOf } from '../middleware/authenticate.ts';
import type { PeriodUsage, UsageTotals, UsageWindow } from '../db/usage-logs.ts';
import type { Store } from '../store.ts';

function dateParam(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw badRequest(`"${name}" must be an ISO 8601 date or time.`, 'invalid_value', name);
  return date;
}

function limitParam(value: unknown): number {
  if (value === undefined || value === '') return 100;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw badRequest('"limit" must be an integer from 1 to 1000.', 'invalid_value', 'limit');
  return n;
}

function totalsJson(t: UsageTotals): Record<string, number> {
  return {
    requests: t.requests,
    input_tokens: t.inputTokens,
    cached_input_tokens: t.cachedInputTokens,
    output_tokens: t.outputTokens,
    total_tokens: t.totalTokens,
    retrieval_calls: t.retrievalCalls,
    memory_tokens: t.memoryTokens,
    cost_usd: t.costUsd,
  };
}

function periodJson(p: PeriodUsage): Record<string, unknown> {
  return { period: p.period, model: p.model, ...totalsJson(p) };
}

function windowFrom(req: Request): UsageWindow {
  const from = dateParam(req.query.from, 'from');
  const to = dateParam(req.query.to, 'to');
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** The spend report of `userId` for the request's window (from, to): totals, and per model per day and month. */
export async function usageReportRoute(store: Store, userId: string, req: Request, res: Response): Promise<void> {
  const period = windowFrom(req);
  const [summary, report] = await Promise.all([store.summarizeUsage(userId, period), store.usageReport(userId, period)]);
  res.json({
    object: 'usage_report',
    user_id: userId,
    totals: totalsJson(summary.totals),
    by_model: summary.byModel.map((m) => ({ model: m.model, ...totalsJson(m) })),
    daily: report.daily.map(periodJson),
    monthly: report.monthly.map(periodJson),
  });
}

export function usageRoute(store: Store) {
  return async (req: Request, res: Response): Promise<void> => {
    const { userId } = principalOf(res);
    const period = windowFrom(req);
    const [rows, summary, report] = await Promise.all([
      store.listUsage(userId, { ...period, limit: limitParam(req.query.limit) }),
      store.summarizeUsage(userId, period),
      store.usageReport(userId, period),
    ]);
    res.json({
      object: 'list',
      data: rows.map((r) => ({
        request_id: r.requestId,
        // The x-request-id the response carried; not unique (callers may reuse theirs).
        client_request_id: r.clientRequestId,
        timestamp: r.timestamp,
        model: r.model,
        endpoint: r.endpoint,
        status_code: r.statusCode,
        input_tokens: r.inputTokens,
        output_tokens: r.outputTokens,
        total_tokens: r.totalTokens,
        cost_usd: r.costUsd,
        latency_ms: r.latencyMs,
        conversation_id: r.conversationId,
      })),
      totals: totalsJson(summary.totals),
      by_model: summary.byModel.map((m) => ({ model: m.model, ...totalsJson(m) })),
      daily: report.daily.map(periodJson),
      monthly: report.monthly.map(periodJson),
    });
  };
}
