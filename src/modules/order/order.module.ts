import { Module } from '@nestjs/common';

/** Order module: filled in by its own issue. */
@Module({})
export class OrderModule {}
