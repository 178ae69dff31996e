import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { PageQuery } from '../../../platform/http/params';
import type { ProductStatus } from '../entities/product.entity';

export const MAX_PRICE = 100_000_000;
export const MAX_STOCK = 1_000_000_000;

export class CreateProductRequest {
  @ApiProperty({ example: 'Espresso beans 1kg', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ type: 'integer', description: 'Won, integer', minimum: 0, maximum: MAX_PRICE, example: 25000 })
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  price!: number;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_STOCK, example: 100 })
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;

  @ApiProperty({ example: 'coffee', description: 'Lowercase letters, digits, - and _' })
  @IsString()
  @Matches(/^[a-z0-9_-]{1,50}$/)
  category!: string;
}

// A field may be left out of a PATCH, but null is not a value for any of them (400, not a NOT NULL failure).
export class UpdateProductRequest extends PartialType(CreateProductRequest, { skipNullProperties: false }) {
  @ApiPropertyOptional({ enum: ['ON_SALE', 'STOPPED'] })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(['ON_SALE', 'STOPPED'])
  status?: ProductStatus;
}

export class ListProductsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'coffee' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_-]{1,50}$/)
  category?: string;
}

export class AdminListProductsQuery extends ListProductsQuery {
  @ApiPropertyOptional({ enum: ['ON_SALE', 'STOPPED'], description: 'Only products of this status (every status when left out)' })
  @IsOptional()
  @IsIn(['ON_SALE', 'STOPPED'])
  status?: ProductStatus;
}

export class ProductResponse {
  @ApiProperty({ type: 'integer' }) id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer' }) price!: number;
  @ApiProperty({ type: 'integer' }) stock!: number;
  @ApiProperty() category!: string;
  @ApiProperty({ enum: ['ON_SALE', 'STOPPED'] }) status!: ProductStatus;
}

export class ProductPage {
  @ApiProperty({ type: [ProductResponse] }) items!: ProductResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class TopSellersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 30, default: 3, description: 'UTC calendar days, today included' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(30)
  days: number = 3;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 50, default: 5 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit: number = 5;
}

export class TopSellerItem {
  @ApiProperty({ type: 'integer' }) productId!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer' }) price!: number;
  @ApiProperty({ type: 'integer' }) soldQuantity!: number;
  @ApiProperty({ type: 'integer' }) revenue!: number;
  @ApiProperty({ type: 'integer' }) rank!: number;
}

export class TopSellersResponse {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: [TopSellerItem] }) items!: TopSellerItem[];
}
