import { Body, Controller, Get, Header, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import { AuthAttemptLimiter } from '../../platform/auth/auth-attempt-limiter';
import { AuthenticatedUser, CurrentUser, Public } from '../../platform/auth/authenticated-user';
import { LoginRequest, SignupRequest, TokenResponse, UserResponse } from './dto/user.dto';
import { UserService, UserView } from './user.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly users: UserService,
    private readonly limiter: AuthAttemptLimiter,
  ) {}

  // Every sign-up counts against its address's budget (AUTH_RATE_LIMIT_SIGNUPS_PER_IP).
  @Public()
  @Post('auth/signup')
  @ApiEndpoint({ operationId: 'signUp', summary: 'Create an account (role user)', problems: ['EMAIL_TAKEN', 'RATE_LIMITED'] })
  @ApiCreatedResponse({ type: UserResponse, description: 'The new account' })
  async signup(@Body() body: SignupRequest, @Ip() address: string): Promise<UserView> {
    await this.limiter.signup(address);
    return this.users.signup(body);
  }

  // Only failed logins count, per address and per email (AUTH_RATE_LIMIT_FAILED_LOGINS_*).
  @Public()
  @Post('auth/login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // a bearer token must not be kept by any cache (RFC 6749 5.1)
  @ApiEndpoint({
    operationId: 'logIn',
    summary: 'Exchange email and password for an access token',
    problems: ['INVALID_CREDENTIALS', 'RATE_LIMITED'],
  })
  @ApiOkResponse({ type: TokenResponse, description: 'A bearer token (send it as `Authorization: Bearer ...`)' })
  login(@Body() body: LoginRequest, @Ip() address: string): Promise<TokenResponse> {
    // body.email is normalized (trimmed, lower-cased) as the lookup uses it: one budget per account.
    return this.limiter.login({ address, email: body.email }, () => this.users.login(body.email, body.password));
  }

  @Get('users/me')
  @ApiEndpoint({ operationId: 'getMe', summary: "The caller's account" })
  @ApiOkResponse({ type: UserResponse, description: 'The caller' })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<UserView> {
    return this.users.me(caller);
  }
}
