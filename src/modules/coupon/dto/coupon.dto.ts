import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { PageQuery } from '../../../platform/http/params';
import type { DiscountType } from '../entities/coupon.entities';

export class CreateCouponRequest {
  @ApiProperty({ example: 'Flash 10%' }) @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ enum: ['PERCENT', 'FIXED'] }) @IsIn(['PERCENT', 'FIXED']) discountType!: DiscountType;
  @ApiProperty({ type: 'integer', description: 'Percent (1..100) or won (1..10,000,000)', example: 10 })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  discountValue!: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000_000, example: 100 }) @IsInt() @Min(1) @Max(10_000_000) totalQuantity!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 10000 }) @IsInt() @Min(0) @Max(1_000_000_000) minOrderAmount!: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000_000) maxDiscountAmount?: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 3650, example: 7 }) @IsInt() @Min(1) @Max(3650) validDays!: number;
  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-24T10:00:00.000Z' })
  @IsOptional()
  @IsDateString({ strict: true })
  issueStartsAt?: string;
  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-30T10:00:00.000Z' })
  @IsOptional()
  @IsDateString({ strict: true })
  issueEndsAt?: string;
}

export class CouponResponse {
  @ApiProperty({ type: 'integer' }) id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['PERCENT', 'FIXED'] }) discountType!: DiscountType;
  @ApiProperty({ type: 'integer' }) discountValue!: number;
  @ApiProperty({ type: 'integer' }) totalQuantity!: number;
  @ApiProperty({ type: 'integer' }) issuedQuantity!: number;
  @ApiProperty({ type: 'integer' }) remainingQuantity!: number;
  @ApiProperty({ type: 'integer' }) minOrderAmount!: number;
  @ApiProperty({ nullable: true, type: 'integer' }) maxDiscountAmount!: number | null;
  @ApiProperty({ type: 'integer' }) validDays!: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) issueStartsAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) issueEndsAt!: string | null;
}

export class UserCouponResponse {
  @ApiProperty({ type: 'integer' }) userCouponId!: number;
  @ApiProperty({ type: 'integer' }) couponId!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['PERCENT', 'FIXED'] }) discountType!: DiscountType;
  @ApiProperty({ type: 'integer' }) discountValue!: number;
  @ApiProperty({ type: 'integer' }) minOrderAmount!: number;
  @ApiProperty({ nullable: true, type: 'integer' }) maxDiscountAmount!: number | null;
  @ApiProperty({ enum: ['AVAILABLE', 'USED', 'EXPIRED'] }) status!: 'AVAILABLE' | 'USED' | 'EXPIRED';
  @ApiProperty({ format: 'date-time' }) issuedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) usedAt!: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) orderId!: number | null;
}

export class UserCouponPage {
  @ApiProperty({ type: [UserCouponResponse] }) items!: UserCouponResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

/** Opaque; signed by the app (36 characters of base64url). Ids from before signed ids are UUIDs. */
const REQUEST_ID = {
  pattern: '^[A-Za-z0-9_-]{36}$',
  description: 'Opaque request id: 36 characters of base64url (older requests: a UUID)',
  example: 'AQAAAAfWm3xk0pP5VJwGkzqkq8hQ0m8Ln3w0',
};

export class IssueRequestResponse {
  @ApiProperty(REQUEST_ID) requestId!: string;
  @ApiProperty({ type: 'integer' }) couponId!: number;
  @ApiProperty({ enum: ['PENDING', 'ISSUED', 'REJECTED'] }) status!: 'PENDING' | 'ISSUED' | 'REJECTED';
  @ApiProperty({ nullable: true, type: String, description: 'The rejection code' }) reason!: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) userCouponId!: number | null;
}

export class IssueAcceptedResponse {
  @ApiProperty(REQUEST_ID) requestId!: string;
  @ApiProperty({ enum: ['PENDING'] }) status!: 'PENDING';
}

export class MyCouponsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['AVAILABLE', 'USED', 'EXPIRED'] })
  @IsOptional()
  @IsIn(['AVAILABLE', 'USED', 'EXPIRED'])
  status?: 'AVAILABLE' | 'USED' | 'EXPIRED';
}
