import { defineProblems } from '../../platform/errors/problem-catalog';

/** The point module's problem codes, in the one catalogue (docs/errors.md lists them for clients). */
export const POINT_PROBLEMS = defineProblems({
  INVALID_CHARGE_AMOUNT: { status: 400, title: 'The charge amount is not allowed' },
  BALANCE_LIMIT_EXCEEDED: { status: 409, title: 'The balance would exceed its limit' },
  INSUFFICIENT_BALANCE: { status: 409, title: 'Not enough points' },
});

type PointProblems = typeof POINT_PROBLEMS;

declare module '../../platform/errors/problem-catalog' {
  interface ProblemCodes extends PointProblems {}
}
