// What the balancing functions see of a replica: a stable identity and its load from this gateway.

export interface Candidate {
  /** Stable for the replica's lifetime: its origin, e.g. http://10.0.3.7:8000. */
  id: string;
  /** Requests this gateway has in flight on the replica. */
  inFlight: number;
  /** The replica's own metrics say it is saturated (replica-load.ts): every policy passes it over while another can take the request. */
  saturated?: boolean;
}
