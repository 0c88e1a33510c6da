/**
 * Standard competition ranking ("1224"): equal totals share a rank, and the next total's rank
 * counts everyone above it — two +40 behind one +50 are both 2nd, the +30 after them is 4th.
 * `list` must already be in order (best first); the rank follows `total` alone.
 */
export function competitionRanks<T extends { total: number }>(list: readonly T[]): Array<T & { rank: number }> {
  let rank = 0;
  return list.map((x, i) => {
    if (i === 0 || x.total !== list[i - 1].total) rank = i + 1;
    return { ...x, rank };
  });
}

/**
 * The top `size` ranks, ties included: everyone whose rank is at most `size`, so a tie at the
 * cut-off never drops one of two equal totals for an arbitrary reason (the list may be longer).
 */
export function topRanks<T extends { total: number }>(sorted: readonly T[], size: number): Array<T & { rank: number }> {
  return competitionRanks(sorted).filter((x) => x.rank <= size);
}
