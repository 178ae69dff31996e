import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Dependency, unavailableDependency } from './dependency-errors';
import { DomainError, type FieldError } from '../errors/domain-error';
import { type ProblemCode, problemDefinition } from '../errors/problem-catalog';
import type { RouteIndex } from './route-index';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  errors?: FieldError[];
}

/**
 * Turns every error into application/problem+json (RFC 9457). A dependency that is unavailable
 * (refused, reset, timed out, pool exhausted, broker down) is a 503 with Retry-After
 * (RETRY_AFTER_UNAVAILABLE_SECONDS, on every 503 that does not set its own), the dependency named
 * in the log only. Unknown errors become a 500 with a generic detail so
 * internals never leak; they are logged with their stack.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  private readonly retryAfterUnavailable: string;

  /**
   * `routes` turns a 404 for a known path with another method into 405 with Allow;
   * `retryAfterUnavailableSeconds` is the Retry-After of a 503.
   */
  constructor(
    private readonly routes?: RouteIndex,
    retryAfterUnavailableSeconds = 2,
  ) {
    this.retryAfterUnavailable = String(retryAfterUnavailableSeconds);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { problem, headers = {} } = this.toProblem(exception, request);
    if (problem.status >= 500 && problem.code === 'INTERNAL_ERROR') {
      this.logger.error({ err: exception, url: request.url }, 'unhandled error');
    }
    if (problem.status === 503) headers['Retry-After'] ??= this.retryAfterUnavailable;
    problem.instance = request.url;
    void reply.headers(headers).status(problem.status).type('application/problem+json').send(problem);
  }

  /** The one log line of an unavailable dependency: named here, never in the answer. */
  private logUnavailable(error: unknown, request: FastifyRequest): Dependency | undefined {
    const dependency = unavailableDependency(error);
    if (dependency) this.logger.warn({ dependency, error: (error as Error).message, url: request.url }, `${dependency} unavailable`);
    return dependency;
  }

  private toProblem(exception: unknown, request: FastifyRequest): { problem: Problem; headers?: Record<string, string> } {
    if (exception instanceof DomainError) {
      this.logUnavailable(exception.extra.cause, request);
      return {
        problem: problemOf(exception.code, exception.message, exception.extra.errors),
        headers: { ...exception.extra.headers },
      };
    }
    if (this.logUnavailable(exception, request)) {
      return { problem: problemOf('SERVICE_UNAVAILABLE', 'A service this request needs is unavailable; retry shortly') };
    }
    const allowed =
      exception instanceof NotFoundException && !request.routeOptions?.url ? this.routes?.allowedMethods(request.url) : undefined;
    if (allowed?.length) {
      return {
        problem: problemOf('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`),
        headers: { Allow: allowed.join(', ') },
      };
    }
    // HttpExceptions come from Nest itself (unknown route, ...); the others with a 4xx statusCode
    // from Fastify before a handler runs (unreadable JSON, wrong content type, body too large).
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 600) {
      const code = codeForStatus(status);
      const detail = exception instanceof HttpException ? httpExceptionDetail(exception) : String((exception as Error).message);
      // A body that cannot be read is reported like any other invalid field, so clients handle one 400.
      const errors = code === 'VALIDATION_FAILED' ? [{ field: 'body', message: detail }] : undefined;
      return { problem: problemOf(code, detail, errors) };
    }
    return { problem: problemOf('INTERNAL_ERROR', 'An unexpected error occurred') };
  }
}

export function problemOf(code: ProblemCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = problemDefinition(code);
  return {
    type: `/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title,
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

export function codeForStatus(status: number): ProblemCode {
  // HttpStatus has no 431 (Request Header Fields Too Large).
  if (status === 431) return 'HEADERS_TOO_LARGE';
  switch (status as HttpStatus) {
    case HttpStatus.BAD_REQUEST:
      return 'VALIDATION_FAILED';
    case HttpStatus.UNAUTHORIZED:
      return 'UNAUTHORIZED';
    case HttpStatus.FORBIDDEN:
      return 'FORBIDDEN';
    case HttpStatus.NOT_FOUND:
      return 'NOT_FOUND';
    case HttpStatus.METHOD_NOT_ALLOWED:
      return 'METHOD_NOT_ALLOWED';
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return 'PAYLOAD_TOO_LARGE';
    case HttpStatus.URI_TOO_LONG:
      return 'URI_TOO_LONG';
    case HttpStatus.UNSUPPORTED_MEDIA_TYPE:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case HttpStatus.TOO_MANY_REQUESTS:
      return 'RATE_LIMITED';
    case HttpStatus.SERVICE_UNAVAILABLE:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED';
  }
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
