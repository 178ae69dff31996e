import { type DynamicModule, type ForwardReference, type Provider, type Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AppModule } from '../../app.module';
import { loadAppConfig } from '../../config';
import { AuthGuard } from '../auth/auth.guard';

type ModuleRef = Type | DynamicModule | Promise<DynamicModule> | ForwardReference | undefined;

function metadata<T>(key: string, type: Type): T[] {
  return (Reflect.getMetadata(key, type) as T[] | undefined) ?? [];
}

/** Every provider the module graph registers, from the modules' own metadata (what Nest reads at start-up). */
function declared<T>(key: 'providers' | 'controllers', root: ModuleRef, seen = new Set<unknown>()): T[] {
  if (!root || root instanceof Promise || 'forwardRef' in root || seen.has(root)) return [];
  seen.add(root);
  const type = typeof root === 'function' ? root : root.module;
  const dynamic: Partial<DynamicModule> = typeof root === 'function' ? {} : root;
  const imports = [...metadata<ModuleRef>(MODULE_METADATA.IMPORTS, type), ...(dynamic.imports ?? [])];
  const own = [...metadata<T>(MODULE_METADATA[key === 'providers' ? 'PROVIDERS' : 'CONTROLLERS'], type), ...((dynamic[key] ?? []) as T[])];
  return [...own, ...imports.flatMap((child) => declared<T>(key, child, seen))];
}

const app = () => AppModule.forRoot(loadAppConfig({ APP_PROFILE: 'embedded', SQLITE_PATH: ':memory:' }));
const enhancers = (token: unknown) => declared<Provider>('providers', app()).filter((p) => typeof p === 'object' && p.provide === token);

/**
 * An interceptor, global or on a route, sends the route through NestJS's RxJS interceptor chain
 * and two `AsyncResource.bind` calls per request, each building two `util.deprecate` wrappers
 * (a quarter of a cheap GET's CPU on Node 20), and a global guard runs on every request.
 * What a handler needs it takes as a parameter or calls itself (see `@IdempotencyKey()`). This fails when a
 * library starts registering one (nestjs-cls's `forRoot()` does, pass-through).
 */
describe('global enhancers (every request runs them)', () => {
  it('registers no global interceptor, pipe or filter through modules', () => {
    expect(enhancers(APP_INTERCEPTOR)).toEqual([]);
    expect(enhancers(APP_PIPE)).toEqual([]);
    expect(enhancers(APP_FILTER)).toEqual([]);
  });

  it('binds no interceptor to any controller or route', () => {
    const controllers = declared<Type>('controllers', app());
    expect(controllers.length).toBeGreaterThan(5);
    const bound = controllers.flatMap((controller) => {
      const prototype = controller.prototype as Record<string, unknown>;
      return [controller, ...Object.getOwnPropertyNames(prototype).map((name) => prototype[name])]
        .filter(
          (target) => typeof target === 'function' && (Reflect.getMetadata(INTERCEPTORS_METADATA, target) as unknown[] | undefined)?.length,
        )
        .map((target) => `${controller.name}.${(target as Type).name}`);
    });
    expect(bound).toEqual([]);
  });

  it('has one global guard: authentication', () => {
    expect(enhancers(APP_GUARD)).toEqual([{ provide: APP_GUARD, useClass: AuthGuard }]);
  });
});
