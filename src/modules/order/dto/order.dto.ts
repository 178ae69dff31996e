import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import type { OrderStatus } from '../entities/order.entities';

export class OrderLineRequest {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  @IsInt()
  @Min(1)
  productId!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10, example: 2 })
  @IsInt()
  @Min(1)
  @Max(10)
  quantity!: number;
}

export class CreateOrderRequest {
  @ApiProperty({ type: [OrderLineRequest], minItems: 1, maxItems: 20, description: 'Distinct products' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => OrderLineRequest)
  items!: OrderLineRequest[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  userCouponId?: number;
}

export class OrderItemResponse {
  @ApiProperty({ type: 'integer' }) productId!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer' }) quantity!: number;
  @ApiProperty({ type: 'integer' }) unitPrice!: number;
  @ApiProperty({ type: 'integer' }) lineTotal!: number;
}

export class OrderResponse {
  @ApiProperty({ type: 'integer' }) id!: number;
  @ApiProperty({ type: 'integer' }) userId!: number;
  @ApiProperty({ enum: ['PENDING', 'PAID', 'CANCELLED'] }) status!: OrderStatus;
  @ApiProperty({ type: [OrderItemResponse] }) items!: OrderItemResponse[];
  @ApiProperty({ type: 'integer' }) totalAmount!: number;
  @ApiProperty({ type: 'integer' }) discountAmount!: number;
  @ApiProperty({ type: 'integer' }) finalAmount!: number;
  @ApiProperty({ nullable: true, type: 'integer' }) userCouponId!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) paidAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) cancelledAt!: string | null;
}

export class OrderPage {
  @ApiProperty({ type: [OrderResponse] }) items!: OrderResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
