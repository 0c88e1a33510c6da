import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import {
  NoticeStatusDto,
  NoticeStatusQuery,
  ResidentIdParam,
  ResidentNoticePageDto,
  ResidentNoticesQuery,
  RetryNoticesDto,
  RetryNoticesResultDto,
  SmsConsentDto,
  SmsConsentResultDto,
} from './notices.dto';
import { NoticesService } from './notices.service';

@ApiTags('notices 村民通知（短信）')
@Controller()
export class NoticesController {
  constructor(private readonly notices: NoticesService) {}

  @Get('notices/status')
  @Roles('town_admin', 'auditor')
  @ApiOperation({ summary: '本镇村民通知的发送状态：各状态条数、静默时段、不发短信的原因、发送失败的通知及网关答复' })
  @ApiOkResponse({ type: NoticeStatusDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  status(@Ctx() ctx: RequestContext, @Query() q: NoticeStatusQuery): Promise<NoticeStatusDto> {
    return this.notices.status(ctx, q);
  }

  @Post('notices/retry')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '把发送失败的通知（全部或指定编号）放回待发并立即发送（网关故障排除后）' })
  @ApiOkResponse({ type: RetryNoticesResultDto })
  @ApiErrors('NOTICE.NOT_FOUND', 'NOTICE.NOT_FAILED')
  retry(@Ctx() ctx: RequestContext, @Body() dto: RetryNoticesDto): Promise<RetryNoticesResultDto> {
    return this.notices.retry(ctx, dto.ids);
  }

  @Get('residents/:residentId/notices')
  @Roles('town_admin', 'village_clerk', 'village_reviewer', 'auditor')
  @ApiOperation({ summary: '村民收到的通知（最新在前）：全文、短信是否发出' })
  @ApiOkResponse({ type: ResidentNoticePageDto })
  @ApiErrors('RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  residentNotices(@Ctx() ctx: RequestContext, @Param() p: ResidentIdParam, @Query() q: ResidentNoticesQuery): Promise<ResidentNoticePageDto> {
    return this.notices.forResidentAsStaff(ctx, p.residentId, q);
  }

  @Put('residents/:residentId/sms-consent')
  @Roles('town_admin', 'village_clerk')
  @ApiOperation({ summary: '登记村民是否同意接收短信通知（不同意时通知只在村民页面显示）' })
  @ApiOkResponse({ type: SmsConsentResultDto })
  @ApiErrors('RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  setConsent(@Ctx() ctx: RequestContext, @Param() p: ResidentIdParam, @Body() dto: SmsConsentDto): Promise<SmsConsentResultDto> {
    return this.notices.setConsent(ctx, p.residentId, dto.consent);
  }
}
