import { type DynamicModule, type ForwardReference, type Provider, type Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AppModule } from '../../app.module';
import { loadAppConfig } from '../config/app-config';
import { AuthGuard } from '../auth/auth.guard';

type ModuleRef = Type | DynamicModule | Promise<DynamicModule> | ForwardReference | undefined;

function metadata<T>(key: string, type: Type): T[] {
  return (Reflect.getMetadata(key, type) as T[] | undefined) ?? [];
}

/** Every provider the module graph registers, from the modules' own metadata (what Nest reads at start-up). */
function providersOf(root: ModuleRef, seen = new Set<unknown>()): Provider[] {
  if (!root || root instanceof Promise || 'forwardRef' in root || seen.has(root)) return [];
  seen.add(root);
  const type = typeof root === 'function' ? root : root.module;
  const dynamic: Partial<DynamicModule> = typeof root === 'function' ? {} : root;
  const imports = [...metadata<ModuleRef>(MODULE_METADATA.IMPORTS, type), ...(dynamic.imports ?? [])];
  const own = [...metadata<Provider>(MODULE_METADATA.PROVIDERS, type), ...(dynamic.providers ?? [])];
  return [...own, ...imports.flatMap((child) => providersOf(child, seen))];
}

const enhancers = (token: unknown) =>
  providersOf(AppModule.forRoot(loadAppConfig({ APP_PROFILE: 'embedded', SQLITE_PATH: ':memory:' }))).filter(
    (p) => typeof p === 'object' && p.provide === token,
  );

/**
 * A global interceptor, of any kind, sends every route through NestJS's RxJS interceptor chain
 * and two `AsyncResource.bind` calls (a quarter of a cheap GET's CPU, docs/benchmarks.md), and a
 * global guard runs on every request. Per-route interceptors (`@UseInterceptors`) are the way here.
 * This fails when a library starts registering one (nestjs-cls's `forRoot()` does, pass-through).
 */
describe('global enhancers (every request runs them)', () => {
  it('registers no global interceptor, pipe or filter through modules', () => {
    expect(enhancers(APP_INTERCEPTOR)).toEqual([]);
    expect(enhancers(APP_PIPE)).toEqual([]);
    expect(enhancers(APP_FILTER)).toEqual([]);
  });

  it('has one global guard: authentication', () => {
    expect(enhancers(APP_GUARD)).toEqual([{ provide: APP_GUARD, useClass: AuthGuard }]);
  });
});
