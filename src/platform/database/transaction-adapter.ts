import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { DataSource } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/** What a transaction may be opened with: TypeORM's isolation level, and where. */
export interface AdapterTransactionOptions {
  isolationLevel?: IsolationLevel;
  /** Another data source to open the transaction on (the background pool); the main one when unset. */
  on?: DataSource;
}

/**
 * @nestjs-cls/transactional's TypeORM adapter, plus `on`: a transaction opened on another data
 * source is still the CLS transaction that `TransactionHost.tx` (and so `Sql`) runs on.
 */
export class TypeOrmTransactionAdapter extends TransactionalAdapterTypeOrm {
  constructor(options: ConstructorParameters<typeof TransactionalAdapterTypeOrm>[0]) {
    super(options);
    const base = this.optionsFactory;
    this.optionsFactory = (dataSource: DataSource) => ({
      ...base(dataSource),
      wrapWithTransaction: (options, fn, setClient) =>
        ((options as AdapterTransactionOptions | undefined)?.on ?? dataSource).transaction(options?.isolationLevel, (manager) => {
          setClient(manager);
          return fn();
        }),
    });
  }
}
