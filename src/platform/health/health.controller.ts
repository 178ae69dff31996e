import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/authenticated-user';
import { DependencyProbes } from './dependency-probes';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly probes: DependencyProbes,
  ) {}

  @Get('live')
  @ApiOkResponse({ description: 'The process runs' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ description: 'Every dependency of the profile answers' })
  @ApiServiceUnavailableResponse({ description: 'At least one dependency is down; `error` names it' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.probes.all());
  }
}
