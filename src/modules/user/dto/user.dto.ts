import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import type { Role } from '../../../platform/auth/authenticated-user';

const normalizeEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class SignupRequest {
  @ApiProperty({ example: 'jane@example.com', maxLength: 254 })
  @Transform(normalizeEmail)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 8, maxLength: 72, example: 'correct horse battery' })
  @IsString()
  @Length(8, 72)
  password!: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Jane' })
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class LoginRequest {
  @ApiProperty({ example: 'jane@example.com' })
  @Transform(normalizeEmail)
  @IsString()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery' })
  @IsString()
  @MaxLength(72)
  password!: string;
}

export class UserResponse {
  @ApiProperty({ type: 'integer' }) id!: number;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['user', 'admin'] }) role!: Role;
}

export class TokenResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ type: 'integer', description: 'Seconds until the token expires' }) expiresIn!: number;
}
