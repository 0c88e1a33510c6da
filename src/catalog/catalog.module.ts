import { Module } from '@nestjs/common';
import { OrgModule } from '@app/org/org.module';
import { CatalogController } from './catalog.controller';
import { CatalogRepository } from './catalog.repository';
import { CatalogService } from './catalog.service';

@Module({ imports: [OrgModule], controllers: [CatalogController], providers: [CatalogService, CatalogRepository], exports: [CatalogService] })
export class CatalogModule {}
