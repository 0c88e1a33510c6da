import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from './auth.entities';

export const LOGIN_CLIENTS = ['api', 'console'] as const;
export type LoginClient = (typeof LOGIN_CLIENTS)[number];

export class LoginDto {
  @ApiProperty({ description: '用户名', example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username: string;

  @ApiProperty({ description: '密码' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;

  @ApiPropertyOptional({
    enum: LOGIN_CLIENTS,
    default: 'api',
    description: '登录端：console 为网页控制台登录，刷新令牌放在 httpOnly Cookie（不在响应体中）；api（默认）：刷新令牌在响应体中',
  })
  @IsOptional()
  @IsIn(LOGIN_CLIENTS)
  client?: LoginClient;
}

/** The refresh token in the body (API clients), or none: the console's cookie is used then. */
export class RefreshDto {
  @ApiPropertyOptional({ description: '刷新令牌（API 客户端）；控制台不填，改用 Cookie 并带 x-xinyi-console 请求头' })
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(256)
  refreshToken?: string;
}

export class StaffDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '用户名' }) username: string;
  @ApiProperty({ description: '姓名' }) displayName: string;
  @ApiProperty({ enum: ROLES, description: '角色' }) role: Role;
  @ApiProperty({ description: '所属乡镇' }) townId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '所属村（村级角色）' }) villageId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '所属超市（超市店员）' }) shopId: string | null;
  @ApiPropertyOptional({ description: '是否启用' }) active?: boolean;
  @ApiPropertyOptional({ description: '下次登录须先修改密码（一次性密码未改）' }) mustChangePassword?: boolean;
}

export class PasswordResetDto {
  @ApiProperty({ type: StaffDto }) staff: StaffDto;
  @ApiProperty({ description: '一次性密码（只显示这一次；登录后须立即修改）', example: 'abcd-EFGH-2345-jkmn' }) oneTimePassword: string;
}

/** The staff user a valid access token belongs to (`GET /auth/me`). */
export class MeDto {
  @ApiProperty({ enum: ['staff'] }) kind: 'staff';
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '用户名' }) username: string;
  @ApiProperty({ enum: ROLES, description: '角色' }) role: Role;
  @ApiProperty({ format: 'uuid', description: '所属乡镇' }) townId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '所属村（村级角色）' }) villageId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '所属超市（超市店员）' }) shopId: string | null;
}

export class TokenPairDto {
  @ApiProperty({ description: '访问令牌（JWT，短期）' }) accessToken: string;
  @ApiPropertyOptional({ description: '刷新令牌（一次性，轮换）；控制台会话没有此字段，令牌在 httpOnly Cookie 中' }) refreshToken?: string;
  @ApiProperty({ type: 'integer', description: '访问令牌有效秒数' }) expiresIn: number;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
}

export class LoginResultDto extends TokenPairDto {
  @ApiProperty({ type: StaffDto }) user: StaffDto;
  @ApiProperty({ description: '一次性密码：须先 POST /auth/password 修改，其他接口才可用' }) mustChangePassword: boolean;
}

export class ChangePasswordDto {
  @ApiProperty({ description: '当前密码（或一次性密码）' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  currentPassword: string;

  @ApiProperty({ description: '新密码（至少 10 位）' })
  @IsString()
  @MinLength(10)
  @MaxLength(128)
  newPassword: string;
}

export class CreateStaffDto {
  @ApiProperty({ description: '用户名（字母、数字、._-）', example: 'dongcun.clerk' })
  @Matches(/^[a-z0-9._-]{3,40}$/, { message: 'username must be 3–40 of a-z 0-9 . _ -' })
  username: string;

  @ApiProperty({ description: '姓名' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  displayName: string;

  @ApiProperty({ description: '初始密码（至少 10 位）' })
  @IsString()
  @MinLength(10)
  @MaxLength(128)
  password: string;

  @ApiProperty({ enum: ROLES, description: '角色' })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ description: '村（村级角色必填）', format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;

  @ApiPropertyOptional({ description: '超市（超市店员必填）', format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  shopId?: string;
}

export class IdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  id: string;
}

export class ShopIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  shopId: string;
}

export class CreateTerminalDto {
  @ApiProperty({ description: '终端名称', example: '东村信义超市收银台 1' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name: string;
}

export class TerminalDto {
  @ApiProperty() id: string;
  @ApiProperty() shopId: string;
  @ApiProperty({ description: '终端名称' }) name: string;
  @ApiProperty({ description: '密钥前缀（用于识别，非密钥本身）' }) keyPrefix: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '吊销时间' }) revokedAt: Date | null;
}

export class CreatedTerminalDto extends TerminalDto {
  @ApiProperty({ description: 'API 密钥：只在创建时显示一次，请妥善保存' }) apiKey: string;
}

export class CreatePairingDto {
  @ApiProperty({ description: '配对后终端的名称', example: '东村信义超市收银台 1' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  terminalName: string;
}

export class PairingCodeDto {
  @ApiProperty() id: string;
  @ApiProperty() shopId: string;
  @ApiProperty({ description: '配对后终端的名称' }) terminalName: string;
  @ApiProperty({ description: '一次性配对码（只显示这一次；不区分大小写）', example: 'K7QD-3M9X' }) code: string;
  @ApiProperty({ type: String, format: 'date-time', description: '过期时间（生成后 10 分钟）' }) expiresAt: Date;
}

export class PairDto {
  @ApiProperty({ description: '镇管理员给出的配对码', example: 'K7QD-3M9X' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  code: string;
}

export class TerminalShopDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '超市编号' }) code: string;
  @ApiProperty({ description: '超市名称' }) name: string;
}

export class TerminalVillageDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '村名' }) name: string;
}

export class TillClerkDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '用户名' }) username: string;
  @ApiProperty({ description: '姓名' }) displayName: string;
}

export class TerminalMeDto {
  @ApiProperty({ description: '终端 ID' }) id: string;
  @ApiProperty({ description: '终端名称' }) name: string;
  @ApiProperty({ description: '配对的浏览器收银台：除本接口外都须店员登录' }) requiresClerk: boolean;
  @ApiProperty({ type: TerminalShopDto }) shop: TerminalShopDto;
  @ApiProperty({ type: [TerminalVillageDto], description: '本超市服务的村' }) villages: TerminalVillageDto[];
  @ApiProperty({ type: TillClerkDto, nullable: true, description: '随请求登录的店员（未带令牌则为空）' }) clerk: TillClerkDto | null;
}

export class PairedTerminalDto {
  @ApiProperty({ description: '终端 API 密钥：只返回这一次，只保存在本设备' }) apiKey: string;
  @ApiProperty({ type: TerminalMeDto }) terminal: TerminalMeDto;
}
