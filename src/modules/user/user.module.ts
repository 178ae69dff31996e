import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountBootstrap } from './account-bootstrap';
import { AuthController } from './auth.controller';
import { USER_SCHEMA } from './user-schema';
import { UserRepository } from './user.repository';
import { UserService } from './user.service';
// Its problem codes join the one catalogue as the module loads.
import './user-errors';

@Module({
  imports: [TypeOrmModule.forFeature(USER_SCHEMA.entities)],
  controllers: [AuthController],
  providers: [UserRepository, UserService, AccountBootstrap],
  exports: [UserService],
})
export class UserModule {}
