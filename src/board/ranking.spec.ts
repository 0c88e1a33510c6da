import { describe, expect, it } from 'vitest';
import { competitionRanks, topRanks } from './ranking';

const list = (...totals: number[]) => totals.map((total, i) => ({ name: `n${i}`, total }));

describe('red and black list ranks (standard competition ranking)', () => {
  it('ranks equal totals equal and skips the places they take: 1, 2, 2, 4', () => {
    expect(competitionRanks(list(50, 40, 40, 30)).map((x) => x.rank)).toEqual([1, 2, 2, 4]);
    expect(competitionRanks(list(-20, -20, -20, -5, -1)).map((x) => x.rank)).toEqual([1, 1, 1, 4, 5]);
    expect(competitionRanks(list(7)).map((x) => x.rank)).toEqual([1]);
    expect(competitionRanks([])).toEqual([]);
  });

  it('keeps every tie at the cut-off, and nobody below it', () => {
    // Ranks 1,2,3,3,3,6: the top 3 are five people, the 6th is out.
    expect(topRanks(list(9, 8, 7, 7, 7, 6), 3).map((x) => [x.total, x.rank])).toEqual([
      [9, 1],
      [8, 2],
      [7, 3],
      [7, 3],
      [7, 3],
    ]);
    expect(topRanks(list(9, 8, 7, 6), 3)).toHaveLength(3);
  });
});
