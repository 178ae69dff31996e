import { defineProblems } from '../../platform/errors/problem-catalog';

/** The product module's problem codes, in the one catalogue (docs/errors.md lists them for clients). */
export const PRODUCT_PROBLEMS = defineProblems({
  PRODUCT_NOT_FOUND: { status: 404, title: 'No such product' },
  PRODUCT_NOT_ON_SALE: { status: 409, title: 'The product is not on sale' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Not enough stock' },
});

type ProductProblems = typeof PRODUCT_PROBLEMS;

declare module '../../platform/errors/problem-catalog' {
  interface ProblemCodes extends ProductProblems {}
}
