import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { POINT_SCHEMA } from './point-schema';
import { PointController } from './point.controller';
import { PointRepository } from './point.repository';
import { PointService } from './point.service';
// Its problem codes join the one catalogue as the module loads.
import './point-errors';

@Module({
  imports: [TypeOrmModule.forFeature(POINT_SCHEMA.entities)],
  controllers: [PointController],
  providers: [PointRepository, PointService],
  exports: [PointService],
})
export class PointModule {}
