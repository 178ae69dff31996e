import { Module } from '@nestjs/common';

/** Point module: filled in by its own issue. */
@Module({})
export class PointModule {}
