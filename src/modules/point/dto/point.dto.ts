import { ApiProperty } from '@nestjs/swagger';
import { IsInt } from 'class-validator';
import type { PointHistoryType } from '../entities/point.entities';

export class ChargeRequest {
  @ApiProperty({ description: 'Won: a multiple of 1,000 from 1,000 to 1,000,000', example: 10000 })
  @IsInt()
  amount!: number;
}

export class BalanceResponse {
  @ApiProperty() userId!: number;
  @ApiProperty() balance!: number;
}

export class PointHistoryResponse {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: ['CHARGE', 'USE', 'REFUND'] }) type!: PointHistoryType;
  @ApiProperty({ description: 'Signed: negative for USE' }) amount!: number;
  @ApiProperty() balanceAfter!: number;
  @ApiProperty({ nullable: true, type: Number }) orderId!: number | null;
  @ApiProperty() createdAt!: string;
}

export class PointHistoryPage {
  @ApiProperty({ type: [PointHistoryResponse] }) items!: PointHistoryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
