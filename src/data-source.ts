import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { createCliDataSource } from './schema';

// The TypeORM CLI's data source file (`-d`, used by npm run migration:*). `.env` is read as main.ts does.
if (existsSync('.env')) process.loadEnvFile('.env');

export default createCliDataSource(process.env);
