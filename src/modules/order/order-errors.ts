import { defineProblems } from '../../platform/errors/problem-catalog';

/** The order module's problem codes, in the one catalogue (docs/errors.md lists them for clients). */
export const ORDER_PROBLEMS = defineProblems({
  ORDER_NOT_FOUND: { status: 404, title: 'No such order' },
  ORDER_NOT_PENDING: { status: 409, title: 'The order is not pending' },
  ORDER_NOT_CANCELLABLE: { status: 409, title: 'The order cannot be cancelled' },
  ORDER_EXPIRED: { status: 409, title: 'The order expired before payment' },
});

type OrderProblems = typeof ORDER_PROBLEMS;

declare module '../../platform/errors/problem-catalog' {
  interface ProblemCodes extends OrderProblems {}
}
