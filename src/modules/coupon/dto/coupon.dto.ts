import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { PageQuery } from '../../../platform/http/params';
import type { DiscountType } from '../entities/coupon.entities';

export class CreateCouponRequest {
  @ApiProperty({ example: 'Flash 10%' }) @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ enum: ['PERCENT', 'FIXED'] }) @IsIn(['PERCENT', 'FIXED']) discountType!: DiscountType;
  @ApiProperty({ description: 'Percent (1..100) or won (1..10,000,000)', example: 10 })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  discountValue!: number;
  @ApiProperty({ minimum: 1, maximum: 10_000_000, example: 100 }) @IsInt() @Min(1) @Max(10_000_000) totalQuantity!: number;
  @ApiProperty({ minimum: 0, example: 10000 }) @IsInt() @Min(0) @Max(1_000_000_000) minOrderAmount!: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000_000) maxDiscountAmount?: number;
  @ApiProperty({ minimum: 1, maximum: 3650, example: 7 }) @IsInt() @Min(1) @Max(3650) validDays!: number;
  @ApiPropertyOptional({ example: '2026-11-24T10:00:00.000Z' }) @IsOptional() @IsDateString({ strict: true }) issueStartsAt?: string;
  @ApiPropertyOptional({ example: '2026-11-30T10:00:00.000Z' }) @IsOptional() @IsDateString({ strict: true }) issueEndsAt?: string;
}

export class CouponResponse {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['PERCENT', 'FIXED'] }) discountType!: DiscountType;
  @ApiProperty() discountValue!: number;
  @ApiProperty() totalQuantity!: number;
  @ApiProperty() issuedQuantity!: number;
  @ApiProperty() remainingQuantity!: number;
  @ApiProperty() minOrderAmount!: number;
  @ApiProperty({ nullable: true, type: Number }) maxDiscountAmount!: number | null;
  @ApiProperty() validDays!: number;
  @ApiProperty({ nullable: true, type: String }) issueStartsAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) issueEndsAt!: string | null;
}

export class UserCouponResponse {
  @ApiProperty() userCouponId!: number;
  @ApiProperty() couponId!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['PERCENT', 'FIXED'] }) discountType!: DiscountType;
  @ApiProperty() discountValue!: number;
  @ApiProperty() minOrderAmount!: number;
  @ApiProperty({ nullable: true, type: Number }) maxDiscountAmount!: number | null;
  @ApiProperty({ enum: ['AVAILABLE', 'USED', 'EXPIRED'] }) status!: 'AVAILABLE' | 'USED' | 'EXPIRED';
  @ApiProperty() issuedAt!: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ nullable: true, type: String }) usedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) orderId!: number | null;
}

export class UserCouponPage {
  @ApiProperty({ type: [UserCouponResponse] }) items!: UserCouponResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class IssueRequestResponse {
  @ApiProperty() requestId!: string;
  @ApiProperty() couponId!: number;
  @ApiProperty({ enum: ['PENDING', 'ISSUED', 'REJECTED'] }) status!: 'PENDING' | 'ISSUED' | 'REJECTED';
  @ApiProperty({ nullable: true, type: String, description: 'The rejection code' }) reason!: string | null;
  @ApiProperty({ nullable: true, type: Number }) userCouponId!: number | null;
}

export class IssueAcceptedResponse {
  @ApiProperty() requestId!: string;
  @ApiProperty({ enum: ['PENDING'] }) status!: 'PENDING';
}

export class MyCouponsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['AVAILABLE', 'USED', 'EXPIRED'] })
  @IsOptional()
  @IsIn(['AVAILABLE', 'USED', 'EXPIRED'])
  status?: 'AVAILABLE' | 'USED' | 'EXPIRED';
}
