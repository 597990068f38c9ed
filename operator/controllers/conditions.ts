// Conditions in metav1.Condition shape. lastTransitionTime changes only when a status flips
// (as cert-manager's SetCertificateCondition does), so "since when" stays meaningful.
import type Type from 'typebox';
import { SENTENCE_MAX_LENGTH, type Condition as ConditionSchema } from '../api/v1alpha1/common.ts';

export type Condition = Type.Static<typeof ConditionSchema>;
export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function condition(type: string, holds: boolean, reason: string, message: string): ConditionInput {
  return { type, status: holds ? 'True' : 'False', reason, message };
}

/** Stamps `next` with observedGeneration and with lastTransitionTime from `previous` unless the status flipped. */
export function withTransitionTimes(
  previous: readonly Condition[] | undefined,
  next: ConditionInput[],
  now: Date,
  generation: number,
): Condition[] {
  const before = new Map((previous ?? []).map((c) => [c.type, c]));
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return next.map((c) => {
    const old = before.get(c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : stamp, observedGeneration: generation };
  });
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

/**
 * `sentence` cut to what a phaseReason may hold: messages joined from several parts (failing pods,
 * not-ready ModelServers) can outgrow it, and the API server would then refuse the whole status.
 */
export function clipSentence(sentence: string): string {
  return sentence.length <= SENTENCE_MAX_LENGTH ? sentence : `${sentence.slice(0, SENTENCE_MAX_LENGTH - 3)}...`;
}
