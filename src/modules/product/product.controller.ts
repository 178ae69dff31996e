import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import { Public, Roles } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { ParseIdPipe } from '../../platform/http/params';
import {
  AdminListProductsQuery,
  CreateProductRequest,
  ListProductsQuery,
  ProductPage,
  ProductResponse,
  TopSellersQuery,
  TopSellersResponse,
  UpdateProductRequest,
} from './dto/product.dto';
import type { ProductRecord } from './product.repository';
import { ProductService } from './product.service';
import { TopSellersService, TopSellersView } from './top-sellers/top-sellers.service';

@ApiTags('products')
@Controller()
export class ProductController {
  constructor(
    private readonly products: ProductService,
    private readonly topSellers: TopSellersService,
  ) {}

  @Public()
  @Get('products')
  @ApiEndpoint({
    operationId: 'listProducts',
    summary: 'List products on sale, newest first, by cursor',
    description:
      'Optionally of one category. A product an admin stopped is not listed (`GET /products/{id}` still answers it; ' +
      'operators see every product with `GET /admin/products`). ' +
      'A change made through another instance is served within 200 ms of its commit while that instance is not saturated; under load its own answer time adds to it (docs/api.md, freshness of product reads).',
  })
  @ApiOkResponse({ type: ProductPage, description: 'One page; `nextCursor` is null on the last' })
  list(@Query() query: ListProductsQuery): Promise<Page<ProductRecord>> {
    return this.products.list(query);
  }

  @Public()
  @Get('products/top-sellers')
  @ApiEndpoint({ operationId: 'listTopSellers', summary: 'Best-selling products of the last days' })
  @ApiOkResponse({ type: TopSellersResponse, description: 'Fed by order events: ranked by quantity, then revenue, then product id' })
  top(@Query() query: TopSellersQuery): Promise<TopSellersView> {
    return this.topSellers.topSellers(query.days, query.limit);
  }

  @Public()
  @Get('products/:id')
  @ApiEndpoint({
    operationId: 'getProduct',
    summary: 'One product',
    description:
      'A change made through another instance is served within 200 ms of its commit while that instance is not saturated; under load its own answer time adds to it (docs/api.md, freshness of product reads).',
    problems: ['PRODUCT_NOT_FOUND'],
  })
  @ApiOkResponse({ type: ProductResponse, description: 'The product' })
  get(@Param('id', ParseIdPipe) id: number): Promise<ProductRecord> {
    return this.products.get(id);
  }
}

@ApiTags('admin')
@Roles('admin')
@Controller('admin/products')
export class AdminProductController {
  constructor(private readonly products: ProductService) {}

  @Get()
  @ApiEndpoint({
    operationId: 'listAllProducts',
    summary: 'List every product, whatever its status, newest first, by cursor',
    description: 'Optionally of one status and one category. Read from the database, not the cache: a change shows at once.',
  })
  @ApiOkResponse({ type: ProductPage, description: 'One page; `nextCursor` is null on the last' })
  list(@Query() query: AdminListProductsQuery): Promise<Page<ProductRecord>> {
    return this.products.listAll(query);
  }

  @Post()
  @ApiEndpoint({ operationId: 'createProduct', summary: 'Add a product to the catalogue' })
  @ApiCreatedResponse({ type: ProductResponse, description: 'The new product' })
  create(@Body() body: CreateProductRequest): Promise<ProductRecord> {
    return this.products.create(body);
  }

  @Patch(':id')
  @ApiEndpoint({ operationId: 'updateProduct', summary: 'Change a product (only the fields sent)', problems: ['PRODUCT_NOT_FOUND'] })
  @ApiOkResponse({ type: ProductResponse, description: 'The product as changed' })
  update(@Param('id', ParseIdPipe) id: number, @Body() body: UpdateProductRequest): Promise<ProductRecord> {
    return this.products.update(id, body);
  }
}
