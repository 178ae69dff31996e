import { Body, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, Public } from '../../platform/auth/authenticated-user';
import { LoginRequest, SignupRequest, TokenResponse, UserResponse } from './dto/user.dto';
import { UserService, UserView } from './user.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly users: UserService) {}

  @Public()
  @Post('auth/signup')
  @ApiCreatedResponse({ type: UserResponse })
  @ApiConflictResponse({ description: 'EMAIL_TAKEN' })
  signup(@Body() body: SignupRequest): Promise<UserView> {
    return this.users.signup(body);
  }

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // a bearer token must not be kept by any cache (RFC 6749 5.1)
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({ description: 'INVALID_CREDENTIALS' })
  login(@Body() body: LoginRequest): Promise<TokenResponse> {
    return this.users.login(body.email, body.password);
  }

  @Get('users/me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<UserView> {
    return this.users.me(caller);
  }
}
