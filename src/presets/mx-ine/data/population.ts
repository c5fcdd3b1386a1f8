/**
 * Population figures the synthetic electors are drawn by: the adult age pyramid, the share of
 * women by age, and where people were born relative to where they live.
 */

/**
 * Population by five-year age group from 15-19 up to 100+, INEGI Censo 2020 (rounded). Ages
 * 18-100 are drawn from it, interpolated between group midpoints.
 */
export const AGE_GROUPS_FROM_15: readonly number[] = [
  10806690, 10422095, 10173264, 9532154, 9045255, 8643245, 8080149, 7248373, 5848107,
  4823788, 3672722, 2616452, 1744604, 1119302, 584112, 243745, 74393, 27690,
];

export const MIN_AGE = 18;
export const MAX_AGE = 100;

/** Share of women in the electorate (INE reports about 52%). */
export const WOMEN_SHARE = 0.52;

/** Share of women among people of an age: women outlive men, so the old are mostly women. */
export function womenShareAtAge(age: number): number {
  if (age < 30) return 0.505;
  if (age < 50) return 0.515;
  if (age < 65) return 0.525;
  if (age < 80) return 0.545;
  return 0.58;
}

/**
 * Share of each entidad's residents born in another entidad (Censo 2020, rounded): the tourist
 * and border states draw from everywhere, the south hardly at all.
 */
export const BORN_ELSEWHERE: Readonly<Record<string, number>> = {
  '01': 0.22, '02': 0.43, '03': 0.4, '04': 0.23, '05': 0.15, '06': 0.26, '07': 0.04, '08': 0.17,
  '09': 0.26, '10': 0.1, '11': 0.08, '12': 0.06, '13': 0.17, '14': 0.12, '15': 0.38, '16': 0.08,
  '17': 0.28, '18': 0.18, '19': 0.25, '20': 0.07, '21': 0.1, '22': 0.32, '23': 0.55, '24': 0.1,
  '25': 0.13, '26': 0.16, '27': 0.1, '28': 0.24, '29': 0.16, '30': 0.08, '31': 0.12, '32': 0.09,
};

/** Share born abroad (mostly Mexicans born in the United States): higher along the border. */
export const BORN_ABROAD_SHARE: Readonly<Record<string, number>> = {
  '02': 0.02, '08': 0.015, '26': 0.012, '28': 0.01, '05': 0.008, '19': 0.008,
};
export const BORN_ABROAD_DEFAULT = 0.004;

/** Electors per section nationally (98.4 million / about 71,000 sections). */
export const ELECTORS_PER_SECTION = 1386;
