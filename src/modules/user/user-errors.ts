import { defineProblems } from '../../platform/errors/problem-catalog';

/** The user module's problem codes, in the one catalogue (docs/errors.md lists them for clients). */
export const USER_PROBLEMS = defineProblems({
  EMAIL_TAKEN: { status: 409, title: 'The email is already registered' },
});

type UserProblems = typeof USER_PROBLEMS;

declare module '../../platform/errors/problem-catalog' {
  interface ProblemCodes extends UserProblems {}
}
