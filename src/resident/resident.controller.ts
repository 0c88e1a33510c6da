import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { CheckpointProofDto } from '@app/ledger/ledger.dto';
import {
  CardSheetDto,
  CardSheetRequestDto,
  ResidentAccessTokenDto,
  ResidentBoardAnswerDto,
  ResidentIdPathParam,
  ResidentMeDto,
  ResidentStatementPageDto,
  ResidentStatementQuery,
  RevokeResultDto,
  VillagePathParam,
} from './resident.dto';
import type { TokenHolder } from './resident.repository';
import { ResidentAccessService } from './resident-access.service';
import { ResidentPageService } from './resident-page.service';
import { Resident, ResidentAuth } from './resident-token.guard';

@ApiTags('resident 村民手机页')
@Controller()
export class ResidentAccessController {
  constructor(private readonly access: ResidentAccessService) {}

  @Post('residents/:residentId/access-token')
  @Roles('village_clerk', 'town_admin')
  @ApiOperation({ summary: '发放/补发村民手机页令牌（积分卡上的个人二维码）：旧令牌即刻停用；新令牌只在此返回一次' })
  @ApiCreatedResponse({ type: ResidentAccessTokenDto })
  @ApiErrors('RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'RESIDENT.NOT_ACTIVE')
  issue(@Ctx() ctx: RequestContext, @Param() p: ResidentIdPathParam): Promise<ResidentAccessTokenDto> {
    return this.access.issue(ctx, p.residentId);
  }

  @Post('residents/:residentId/access-token/revoke')
  @HttpCode(200)
  @Roles('village_clerk', 'town_admin')
  @ApiOperation({ summary: '停用村民手机页令牌（卡丢失等）：个人二维码即刻失效' })
  @ApiOkResponse({ type: RevokeResultDto })
  @ApiErrors('RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  revoke(@Ctx() ctx: RequestContext, @Param() p: ResidentIdPathParam): Promise<RevokeResultDto> {
    return this.access.revoke(ctx, p.residentId);
  }

  @Post('villages/:villageId/card-sheet')
  @Roles('village_clerk', 'town_admin')
  @ApiOperation({ summary: '积分卡打印单（全村或一户）：为每位在册村民补发新令牌，返回卡面内容（姓名、卡号、个人二维码地址）；旧卡二维码即刻失效' })
  @ApiCreatedResponse({ type: CardSheetDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'ORG.HOUSEHOLD_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'RESIDENT.NO_ACTIVE_RESIDENTS')
  cardSheet(@Ctx() ctx: RequestContext, @Param() p: VillagePathParam, @Body() dto: CardSheetRequestDto): Promise<CardSheetDto> {
    return this.access.cardSheet(ctx, p.villageId, dto.householdId ?? null);
  }
}

@ApiTags('resident 村民手机页')
@Controller('resident')
export class ResidentPageController {
  constructor(private readonly page: ResidentPageService) {}

  @Get('me')
  @ResidentAuth()
  @ApiOperation({ summary: '本人积分（凭积分卡个人二维码的令牌，请求头 x-resident-token）：可用积分、信用分、等级与升级还差多少、逐条说明的对账单' })
  @ApiOkResponse({ type: ResidentMeDto })
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND')
  me(@Resident() r: TokenHolder): Promise<ResidentMeDto> {
    return this.page.me(r);
  }

  @Get('me/statement')
  @ResidentAuth()
  @ApiOperation({ summary: '本人对账单中更早的记录：序号小于 beforeSeq 的最近 50 条，新的在前（手机页“查看更早的记录”）' })
  @ApiOkResponse({ type: ResidentStatementPageDto })
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND')
  statement(@Resident() r: TokenHolder, @Query() q: ResidentStatementQuery): Promise<ResidentStatementPageDto> {
    return this.page.earlier(r, q.beforeSeq);
  }

  @Get('me/board')
  @ResidentAuth()
  @ApiOperation({ summary: '本村当前公示栏（脱敏）及其中关于本人的记录（可提出异议的标明）' })
  @ApiOkResponse({ type: ResidentBoardAnswerDto })
  @ApiErrors('BOARD.NOT_FOUND')
  board(@Resident() r: TokenHolder): Promise<ResidentBoardAnswerDto> {
    return this.page.board(r);
  }

  @Get('me/proof')
  @ResidentAuth()
  @ApiOperation({ summary: '记录核验：本人账户链头在本村最近一期入账核验码（默克尔树根）中的包含证明，由手机页在浏览器中核验' })
  @ApiOkResponse({ type: CheckpointProofDto })
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND', 'LEDGER.CHECKPOINT_NOT_FOUND', 'LEDGER.CHECKPOINT_WITHOUT_PROOFS', 'LEDGER.NOT_IN_CHECKPOINT')
  proof(@Resident() r: TokenHolder): Promise<CheckpointProofDto> {
    return this.page.proof(r);
  }
}
