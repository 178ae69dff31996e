import { Body, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import { AuthRateLimited } from '../../platform/auth/auth-rate-limit';
import { AuthenticatedUser, CurrentUser, Public } from '../../platform/auth/authenticated-user';
import { LoginRequest, SignupRequest, TokenResponse, UserResponse } from './dto/user.dto';
import { UserService, UserView } from './user.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly users: UserService) {}

  @Public()
  @AuthRateLimited()
  @Post('auth/signup')
  @ApiEndpoint({ operationId: 'signUp', summary: 'Create an account (role user)', problems: ['EMAIL_TAKEN'] })
  @ApiCreatedResponse({ type: UserResponse, description: 'The new account' })
  signup(@Body() body: SignupRequest): Promise<UserView> {
    return this.users.signup(body);
  }

  @Public()
  @AuthRateLimited()
  @Post('auth/login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // a bearer token must not be kept by any cache (RFC 6749 5.1)
  @ApiEndpoint({ operationId: 'logIn', summary: 'Exchange email and password for an access token', problems: ['INVALID_CREDENTIALS'] })
  @ApiOkResponse({ type: TokenResponse, description: 'A bearer token (send it as `Authorization: Bearer ...`)' })
  login(@Body() body: LoginRequest): Promise<TokenResponse> {
    return this.users.login(body.email, body.password);
  }

  @Get('users/me')
  @ApiEndpoint({ operationId: 'getMe', summary: "The caller's account" })
  @ApiOkResponse({ type: UserResponse, description: 'The caller' })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<UserView> {
    return this.users.me(caller);
  }
}
