import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../http/api-contract';
import { Public } from '../auth/authenticated-user';
import { Metrics } from './metrics';

@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiEndpoint({ operationId: 'getMetrics', summary: 'Prometheus metrics of this instance', noDependencies: true })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition (version 0.0.4)', schema: { type: 'string' } })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
