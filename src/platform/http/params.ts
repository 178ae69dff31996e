import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error';

/**
 * A positive integer path id in canonical decimal (no `0x`, sign, spaces, exponent or leading
 * zero, so one id has one spelling); anything else is 400 naming the parameter (never a 500 or a lookup).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata: ArgumentMetadata): number {
    const id = typeof value === 'string' && /^[1-9]\d{0,14}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id)) {
      const field = metadata.data ?? 'id';
      throw new DomainError('VALIDATION_FAILED', `${field} must be a positive integer`, {
        errors: [{ field, message: 'must be a positive integer' }],
      });
    }
    return id;
  }
}

/** `?limit&cursor` of every list endpoint. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
