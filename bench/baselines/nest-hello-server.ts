// Baseline: the smallest NestJS 11 app on Fastify (one controller, no logger), to price the framework itself.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class HelloController {
  @Get()
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter(), { logger: false })
  .then((app) => app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }))
  .then(
    () => process.send?.('ready'),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
