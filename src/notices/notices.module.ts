import { Module } from '@nestjs/common';
import { NoticeDeliveryService } from './notice-delivery.service';
import { NoticesController } from './notices.controller';
import { NoticesRepository } from './notices.repository';
import { NoticesService } from './notices.service';

/** Residents' notices: the outbox written by the causes (NoticesService), SMS delivery, status. */
@Module({ controllers: [NoticesController], providers: [NoticesRepository, NoticesService, NoticeDeliveryService], exports: [NoticesService, NoticesRepository] })
export class NoticesModule {}
