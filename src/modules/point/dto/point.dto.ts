import { ApiProperty } from '@nestjs/swagger';
import { IsInt } from 'class-validator';
import type { PointHistoryType } from '../entities/point.entities';

export class ChargeRequest {
  @ApiProperty({ type: 'integer', description: 'Won: a multiple of 1,000 from 1,000 to 1,000,000', example: 10000 })
  @IsInt()
  amount!: number;
}

export class BalanceResponse {
  @ApiProperty({ type: 'integer' }) userId!: number;
  @ApiProperty({ type: 'integer' }) balance!: number;
}

export class PointHistoryResponse {
  @ApiProperty({ type: 'integer' }) id!: number;
  @ApiProperty({ enum: ['CHARGE', 'USE', 'REFUND'] }) type!: PointHistoryType;
  @ApiProperty({ type: 'integer', description: 'Signed: negative for USE' }) amount!: number;
  @ApiProperty({ type: 'integer' }) balanceAfter!: number;
  @ApiProperty({ nullable: true, type: 'integer' }) orderId!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class PointHistoryPage {
  @ApiProperty({ type: [PointHistoryResponse] }) items!: PointHistoryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
