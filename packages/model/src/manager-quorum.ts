/**
 * Manager counts: Raft needs a majority of managers, so a count is only useful when odd.
 * `auto` keeps 1 manager below 3 eligible guests, 3 up to 6 and 5 from 7 (Docker's advice:
 * 3 tolerate one loss, 5 tolerate two; more slow every write down).
 */
export function autoManagerCount(eligible: number): number {
  if (eligible <= 0) return 0;
  if (eligible < 3) return 1;
  if (eligible <= 6) return 3;
  return 5;
}

/**
 * How many managers the fleet should have: a fixed count, or the `auto` count raised to cover
 * every explicit manager (and made odd with one more auto guest where one exists).
 */
export function managerTarget(policy: number | "auto", explicitManagers: number, autoGuests: number): number {
  if (policy !== "auto") return policy;
  let target = Math.max(autoManagerCount(explicitManagers + autoGuests), explicitManagers);
  if (target % 2 === 0 && target < explicitManagers + autoGuests) target++;
  return target;
}

/** Votes needed for Raft to make progress with `managers` managers. */
export function raftMajority(managers: number): number {
  return Math.floor(managers / 2) + 1;
}
