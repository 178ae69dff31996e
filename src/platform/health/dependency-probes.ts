import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { KafkaConnection } from '../kafka/kafka-connection';
import { InjectRedis } from '../redis/redis.module';

const PROBE_TIMEOUT_MS = 1500;

/** Readiness probes for the dependencies the running profile uses (Redis and Kafka only in full). */
@Injectable()
export class DependencyProbes {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly typeorm: TypeOrmHealthIndicator,
    @Optional() @InjectRedis() private readonly redis?: Redis,
    @Optional() private readonly kafka?: KafkaConnection,
  ) {}

  all(): Array<() => PromiseLike<HealthIndicatorResult>> {
    const probes: Array<() => PromiseLike<HealthIndicatorResult>> = [
      () => this.typeorm.pingCheck('database').withTimeout(PROBE_TIMEOUT_MS),
    ];
    if (this.redis) probes.push(() => this.probeRedis(this.redis!));
    if (this.kafka) probes.push(() => this.probeKafka(this.kafka!));
    return probes;
  }

  private async probeRedis(redis: Redis): Promise<HealthIndicatorResult> {
    const indicator = this.health.check('redis');
    try {
      await withTimeout(redis.ping(), 'redis ping');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  private async probeKafka(kafka: KafkaConnection): Promise<HealthIndicatorResult> {
    const indicator = this.health.check('kafka');
    try {
      return indicator.up(await withTimeout(kafka.describeClusterOnce(), 'kafka describeCluster'));
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
