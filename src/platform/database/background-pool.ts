import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, DataSourceOptions } from 'typeorm';
import { applyMysqlBudgets } from './mysql-budgets';

/**
 * Connections of their own for background work that must not queue behind requests for a pooled
 * one: the outbox relay. Under 100 connections of order + pay its passes waited a median of about
 * 100 ms for a connection of the request pool, which every event then waited too
 * (docs/benchmarks.md). MySQL only: SQLite's one connection serves everything anyway.
 */
@Injectable()
export class BackgroundPool implements OnApplicationShutdown {
  private constructor(
    /** Undefined where the engine has one connection (SQLite): background work uses the main one. */
    readonly dataSource: DataSource | undefined,
  ) {}

  /** A pool of `size` connections to the main data source's database, with the same budgets. */
  static async open(
    main: DataSource,
    size: number,
    budgets: { acquireTimeoutMs: number; statementTimeoutMs: number },
  ): Promise<BackgroundPool> {
    if (main.options.type !== 'mysql') return new BackgroundPool(undefined);
    const options = { ...main.options, poolSize: size, migrations: [], migrationsRun: false, synchronize: false } as DataSourceOptions;
    const dataSource = await new DataSource(options).initialize();
    applyMysqlBudgets(dataSource, budgets);
    return new BackgroundPool(dataSource);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}
