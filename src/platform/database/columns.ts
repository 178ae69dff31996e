import { type ValueTransformer } from 'typeorm';

/** Money and other BIGINT columns as JS numbers (won amounts stay far below 2^53). */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
