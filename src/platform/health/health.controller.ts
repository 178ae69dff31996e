import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../http/api-contract';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/authenticated-user';
import { DependencyProbes } from './dependency-probes';

// Terminus' @HealthCheck() documents both answers (its TerminusHealthCheckResult schema); these add the why.
@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly probes: DependencyProbes,
  ) {}

  @Get('live')
  @ApiEndpoint({ operationId: 'getLiveness', summary: 'Liveness: the process answers', noDependencies: true })
  @ApiOkResponse({
    description: 'The process runs',
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiEndpoint({ operationId: 'getReadiness', summary: 'Readiness: every dependency of the profile answers' })
  @ApiOkResponse({ description: 'Every dependency of the profile answers' })
  @ApiServiceUnavailableResponse({ description: 'At least one dependency is down; `error` names it' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check(this.probes.all());
    } catch (error) {
      // Terminus reports a failed check as a 503 exception; its body is the per-dependency status.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
