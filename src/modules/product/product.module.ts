import { Module } from '@nestjs/common';

/** Product module: filled in by its own issue. */
@Module({})
export class ProductModule {}
