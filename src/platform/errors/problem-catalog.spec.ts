import { defineProblems, problemCodes, problemDefinition } from './problem-catalog';

describe('the problem catalogue', () => {
  it('holds the generic codes of the platform', () => {
    expect(problemDefinition('VALIDATION_FAILED')).toEqual({ status: 400, title: 'The request is not valid' });
    expect(problemCodes()).toContain('SERVICE_UNAVAILABLE');
  });

  it('refuses a code declared twice', () => {
    expect(() => defineProblems({ NOT_FOUND: { status: 410, title: 'Gone' } })).toThrow('problem code NOT_FOUND is declared twice');
    expect(problemDefinition('NOT_FOUND').status).toBe(404);
  });
});
