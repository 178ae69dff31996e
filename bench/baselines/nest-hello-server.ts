// Baseline: the smallest NestJS 11 app on Fastify (one controller, no logger), to price the framework itself.
// With BASELINE_APP_HEADERS=1 every answer also carries what every app answer carries and a hello
// does not: the app's security headers (the same object) and an `x-request-id`, written by one
// onRequest hook as the app's is. That prices the headers themselves.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { serveNestBaseline } from './nest-baseline';

@Controller()
class HelloController {
  @Get()
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

serveNestBaseline(HelloModule, { appHeaders: process.env.BASELINE_APP_HEADERS === '1' });
