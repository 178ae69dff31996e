import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public, Roles } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { ParseIdPipe } from '../../platform/http/params';
import {
  CreateProductRequest,
  ListProductsQuery,
  ProductPage,
  ProductResponse,
  TopSellersQuery,
  TopSellersResponse,
  UpdateProductRequest,
} from './dto/product.dto';
import { ProductService, ProductView } from './product.service';
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
  @ApiOkResponse({ type: ProductPage })
  list(@Query() query: ListProductsQuery): Promise<Page<ProductView>> {
    return this.products.list(query);
  }

  @Public()
  @Get('products/top-sellers')
  @ApiOkResponse({ type: TopSellersResponse, description: 'Fed by order events: ranked by quantity, then revenue, then product id' })
  top(@Query() query: TopSellersQuery): Promise<TopSellersView> {
    return this.topSellers.topSellers(query.days, query.limit);
  }

  @Public()
  @Get('products/:id')
  @ApiOkResponse({ type: ProductResponse })
  @ApiNotFoundResponse({ description: 'PRODUCT_NOT_FOUND' })
  get(@Param('id', ParseIdPipe) id: number): Promise<ProductView> {
    return this.products.get(id);
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/products')
export class AdminProductController {
  constructor(private readonly products: ProductService) {}

  @Post()
  @ApiCreatedResponse({ type: ProductResponse })
  create(@Body() body: CreateProductRequest): Promise<ProductView> {
    return this.products.create(body);
  }

  @Patch(':id')
  @ApiOkResponse({ type: ProductResponse })
  @ApiNotFoundResponse({ description: 'PRODUCT_NOT_FOUND' })
  update(@Param('id', ParseIdPipe) id: number, @Body() body: UpdateProductRequest): Promise<ProductView> {
    return this.products.update(id, body);
  }
}
